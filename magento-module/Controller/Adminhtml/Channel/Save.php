<?php
declare(strict_types=1);

namespace Cronkeeper\Scheduler\Controller\Adminhtml\Channel;

use Cronkeeper\Scheduler\Model\Alert\AlertChannelForm;
use Cronkeeper\Scheduler\Model\GraphQl\Exception\GraphQlException;
use Cronkeeper\Scheduler\ViewModel\ChannelEdit;
use Magento\Backend\App\Action;
use Magento\Backend\App\Action\Context;
use Magento\Framework\App\Action\HttpPostActionInterface;
use Magento\Framework\App\Request\DataPersistorInterface;
use Magento\Framework\Controller\ResultFactory;

/**
 * Saves the alert channel form (`createAlertChannel` or `updateAlertChannel`). Saved: back to Alerts with
 * a success message. Refused: the service's message (it names the field) and back to the form with what
 * was typed, except the URL and the key: those are never kept in the session.
 */
class Save extends Action implements HttpPostActionInterface
{
    public const ADMIN_RESOURCE = 'Cronkeeper_Scheduler::manage';

    public function __construct(
        Context $context,
        private readonly AlertChannelForm $form,
        private readonly DataPersistorInterface $dataPersistor
    ) {
        parent::__construct($context);
    }

    public function execute()
    {
        $redirect = $this->resultFactory->create(ResultFactory::TYPE_REDIRECT);
        $params = $this->getRequest()->getParams();
        $original = trim((string)($params['original_name'] ?? ''));
        try {
            $saved = $this->form->save($params);
            $this->dataPersistor->clear(ChannelEdit::PERSISTED_FORM);
            $this->messageManager->addSuccessMessage(__('Alert channel %1 saved.', $saved['name']));
            return $redirect->setPath('*/alert/index');
        } catch (GraphQlException $e) {
            $this->messageManager->addErrorMessage(__('Cronkeeper: %1', $e->getMessage()));
            $this->dataPersistor->set(ChannelEdit::PERSISTED_FORM, [
                'original_name' => $original,
                'name' => (string)($params['name'] ?? ''),
                'kind' => (string)($params['kind'] ?? ''),
            ]);
            return $redirect->setPath('*/*/edit', $original === '' ? [] : ['name' => $original]);
        }
    }
}
