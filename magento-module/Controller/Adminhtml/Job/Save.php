<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Job;

use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\Model\Job\JobEditor;
use Cronkeeper\Scheduler\ViewModel\JobEdit;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\App\Request\DataPersistorInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Saves the job edit form through `upsertJob`. Saved: back to Schedules with a success message.
 * Refused: the service's message as is, and back to the form with what was typed.
 */
class Save extends Action implements HttpPostActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::manage';

    public function __construct(
        Context $context,
        private readonly JobEditor $editor,
        private readonly DataPersistorInterface $dataPersistor
    ) {
        parent::__construct($context);
    }

    public function execute()
    {
        $redirect = $this->resultFactory->create(ResultFactory::TYPE_REDIRECT);
        $params = $this->getRequest()->getParams();
        $code = trim((string)($params['code'] ?? ''));
        try {
            $this->editor->save($code, $params);
            $this->dataPersistor->clear(JobEdit::PERSISTED_FORM);
            $this->messageManager->addSuccessMessage(__('Job %1 saved.', $code));
            return $redirect->setPath('*/*/');
        } catch (GraphQlException | \InvalidArgumentException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
            $this->dataPersistor->set(JobEdit::PERSISTED_FORM, ['code' => $code] + $params);
            return $redirect->setPath('*/*/edit', ['code' => $code]);
        }
    }
}
