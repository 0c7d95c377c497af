<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Timeline;

use Cronkeeper\Scheduler\Model\Timeline\TimelineProxy;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpGetActionInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * The timeline component's data: GET view=jobs (first, after, search) => a page of job codes; GET from,
 * to, jobCodes[] (view=spans, resolutionSeconds) => those jobs' runs or spans. Run with a token minted for
 * this admin, so the JWT secret stays on the server (Model/Timeline/TimelineProxy does the work).
 */
class Data extends Action implements HttpGetActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::view';

    public function __construct(
        Context $context,
        private readonly TimelineProxy $proxy
    ) {
        parent::__construct($context);
    }

    public function execute()
    {
        $answer = $this->proxy->answer($this->getRequest()->getParams());
        /** @var \Magento\Framework\Controller\Result\Json $result */
        $result = $this->resultFactory->create(ResultFactory::TYPE_JSON);
        return $result->setHttpResponseCode($answer['status'])->setData($answer['body']);
    }
}
